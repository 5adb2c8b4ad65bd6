import { formatManifest, parseManifest, sha256 } from "../../../ops/dashboards-export/manifest";

// Computed once with coreutils, not with the code under test:
//   printf 'a' | sha256sum; printf 'x' | sha256sum; printf '' | sha256sum
//   printf 'Läufe – p95\n' | sha256sum   (UTF-8 bytes 4c c3 a4 75 66 65 20 e2 80 93 20 70 39 35 0a)
const SHA256_A = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
const SHA256_X = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
const SHA256_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SHA256_UTF8 = "0a207985d86ffa963624c48db60e2f6a11ae64705e61d6128f279a42b0a3d7ef";

describe("paths", () => {
  it("round-trips the manifest in sha256sum format", () => {
    const entries = new Map([
      ["b/x.json", sha256("x")],
      ["a.json", sha256("a")],
    ]);
    const text = formatManifest(entries);
    expect(text).toBe(`${sha256("a")}  a.json\n${sha256("x")}  b/x.json\n`);
    // The same text sha256sum prints for those two files: its hashes, two spaces, the path.
    expect(text).toBe(`${SHA256_A}  a.json\n${SHA256_X}  b/x.json\n`);
    expect(parseManifest(text)).toEqual(entries);
    expect(() => parseManifest("nonsense\n")).toThrow(/line 1/);
  });

  it("hashes content as sha256sum hashes the file's UTF-8 bytes", () => {
    expect(sha256("a")).toBe(SHA256_A);
    expect(sha256("x")).toBe(SHA256_X);
    expect(sha256("")).toBe(SHA256_EMPTY);
    expect(sha256("Läufe – p95\n")).toBe(SHA256_UTF8);
  });

  it("reads sha256sum's own output, binary-mode marker included", () => {
    expect(parseManifest(`${SHA256_A}  a.json\n${SHA256_X} *b/x.json\n`)).toEqual(
      new Map([
        ["a.json", SHA256_A],
        ["b/x.json", SHA256_X],
      ]),
    );
  });
});
