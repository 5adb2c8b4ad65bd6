/**
 * Pinned container images. The integration tests build k6 and Prometheus from source at exactly
 * these versions (tools/install-tools.sh reads this file), so the binaries under test are the
 * ones the containers run.
 */

/** A container image pinned to an exact version. */
export interface PinnedImage {
  /** Repository, e.g. `prom/prometheus`. */
  readonly repo: string;
  /** Exact release tag, never `latest`. */
  readonly tag: string;
}

export const PROMETHEUS_IMAGE: PinnedImage = { repo: "prom/prometheus", tag: "v3.15.1" };
export const GRAFANA_IMAGE: PinnedImage = { repo: "grafana/grafana", tag: "13.0.1" };
export const K6_IMAGE: PinnedImage = { repo: "grafana/k6", tag: "1.8.1" };
/** Alertmanager (Apache-2.0); tools/install-tools.sh builds the same version for the tests. */
export const ALERTMANAGER_IMAGE: PinnedImage = { repo: "prom/alertmanager", tag: "v0.35.0" };

/** `repo:tag` reference of a pinned image. */
export function imageRef(image: PinnedImage): string {
  return `${image.repo}:${image.tag}`;
}

/** Go module version of a Prometheus release: v3.N.M is published as v0.3NN.M. */
export function prometheusGoModuleVersion(tag: string): string {
  const m = /^v?3\.(\d+)\.(\d+)$/.exec(tag);
  if (!m) {
    throw new Error(`Prometheus tag "${tag}" is not a v3.N.M release tag`);
  }
  const [, minor = "", patch = ""] = m;
  return `v0.3${minor.padStart(2, "0")}.${patch}`;
}

/** An image reference split as Docker reads it: `[registry[:port]/]repository[:tag][@digest]`. */
export interface ImageRefParts {
  /** Repository including any registry host, e.g. `prom/prometheus`. */
  readonly repository: string;
  /** Tag, if the reference has one. */
  readonly tag?: string;
  /** Digest (`sha256:...`), if the reference has one. */
  readonly digest?: string;
}

/** Splits an image reference; a colon before the last `/` belongs to a registry port, not a tag. */
export function splitImageRef(ref: string): ImageRefParts {
  const at = ref.indexOf("@");
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const lastColon = name.lastIndexOf(":");
  const hasTag = lastColon > name.lastIndexOf("/");
  return {
    repository: hasTag ? name.slice(0, lastColon) : name,
    ...(hasTag ? { tag: name.slice(lastColon + 1) } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** Content-addressed image ID as `RemoteImage.imageId` returns it. */
const IMAGE_ID = /^sha256:[0-9a-f]{64}$/i;
/** Tag parts that name a moving target even after a version number (`1.2.3-latest`). */
const MOVING_TAG_WORDS = new Set(["latest", "main", "master", "nightly", "edge", "dev", "head", "snapshot"]);
/** A full release version (`13.0.1`, `v3.15.1`, `13.0.1-ubuntu`); `13`, `v3`, `main` keep moving. */
const RELEASE_TAG = /^v?\d+\.\d+\.\d+(?:[-+._][A-Za-z0-9._-]+)?$/;

/**
 * Why an image reference is not pinned, or undefined if it is: a digest pins it; otherwise it
 * needs a full release-version tag. An image ID (`sha256:<64 hex>`) is pinned by definition.
 * Used by the stack config validation and by the policy pack, so both refuse the same references.
 */
export function unpinnedImageReason(ref: string): string | undefined {
  if (IMAGE_ID.test(ref)) return undefined;
  if (ref.trim() === "") return "is empty";
  const { tag, digest } = splitImageRef(ref);
  if (digest !== undefined) return undefined;
  if (tag === undefined) return "has no tag or digest (Docker resolves it to `latest`)";
  if (tag === "latest") return "uses the moving tag `latest`";
  if (!RELEASE_TAG.test(tag)) return `uses the moving tag \`${tag}\` (not a full x.y.z release)`;
  const moving = tag.split(/[-+._]/).find((part) => MOVING_TAG_WORDS.has(part.toLowerCase()));
  if (moving !== undefined) return `uses the moving tag \`${tag}\` (its \`${moving}\` part keeps moving)`;
  return undefined;
}

/** An image reference split into its parts. */
export interface ImageSpec {
  /** Full reference as given, e.g. `prom/prometheus:v3.15.1@sha256:...`. */
  readonly ref: string;
  /** Repository part, e.g. `prom/prometheus`. */
  readonly repo: string;
  /** Tag, e.g. `v3.15.1`. */
  readonly tag: string;
  /** `sha256:...` digest if the reference pins one. */
  readonly digest?: string;
}

const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const IMAGE_REPO = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * A `repo:tag[@sha256:<digest>]` reference as the stack config accepts it (a tag is required);
 * undefined when the reference has no tag or any part is malformed. Splits with
 * {@link splitImageRef}, the one image-reference parser.
 */
export function parseImageRef(ref: string): ImageSpec | undefined {
  return malformedImageReason(ref) === undefined ? specOf(ref) : undefined;
}

function specOf(ref: string): ImageSpec {
  const { repository, tag = "", digest } = splitImageRef(ref);
  return digest === undefined ? { ref, repo: repository, tag } : { ref, repo: repository, tag, digest };
}

/** Docker's longest repository name (distribution/reference RepositoryNameTotalLengthMax). */
const IMAGE_REPO_MAX = 255;

/**
 * Why {@link parseImageRef} refuses a reference, in words for messages ("its tag is 129
 * characters; ..."), or undefined when it parses.
 */
export function malformedImageReason(ref: string): string | undefined {
  const { repository, tag, digest } = splitImageRef(ref);
  if (/[^\x21-\x7e]/.test(ref)) return "contains whitespace or a non-ASCII character";
  if (tag === undefined) return "has no tag (name the release, e.g. repo:1.2.3@sha256:<digest>)";
  if (repository.length > IMAGE_REPO_MAX)
    return `has a repository of ${repository.length} characters; Docker allows at most ${IMAGE_REPO_MAX}`;
  if (!IMAGE_REPO.test(repository)) {
    return /[A-Z]/.test(repository)
      ? "has upper-case letters in its repository; Docker repository names are lower case"
      : "has a repository name Docker refuses (lower-case letters, digits and single separators)";
  }
  if (!IMAGE_TAG.test(tag)) {
    return tag.length > 128
      ? `has a tag of ${tag.length} characters; Docker allows at most 128`
      : "has a tag Docker refuses (letters, digits, '_', '.', '-', not starting with '.' or '-')";
  }
  if (digest !== undefined && !DIGEST.test(digest))
    return "has a digest that is not sha256: followed by 64 lower-case hex digits";
  return undefined;
}

/** The `major.minor.patch` a release tag names (`v3.15.1`, `13.0.1-ubuntu`), for ordering images. */
export interface ReleaseVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** The release version of a tag, or undefined when the tag is not `[v]x.y.z[<suffix>]`. */
export function releaseVersion(tag: string): ReleaseVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:$|[-+._])/.exec(tag);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** Negative when a is older than b, 0 when the same x.y.z, positive when newer. */
export function compareReleaseVersions(a: ReleaseVersion, b: ReleaseVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** `x.y.z` of a version. */
export function formatReleaseVersion(v: ReleaseVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/**
 * The image's name without registry or namespace (`quay.io/prometheus/prometheus` -> `prometheus`):
 * two references with the same name are taken as versions of one product, so a switch to a mirror
 * or another namespace cannot hide a downgrade.
 */
export function imageBaseName(repo: string): string {
  return repo.slice(repo.lastIndexOf("/") + 1);
}
