// Ordering images by their release tags (model/images.ts), what the downgrade and major-change
// checks compare.
import { compareReleaseVersions, imageBaseName, releaseVersion } from "../../model/images";

test.each([
  ["v3.15.1", { major: 3, minor: 15, patch: 1 }],
  ["13.0.1", { major: 13, minor: 0, patch: 1 }],
  ["13.0.1-ubuntu", { major: 13, minor: 0, patch: 1 }],
  ["2.55.0_rc1", { major: 2, minor: 55, patch: 0 }],
])("%s is version %j", (tag, version) => {
  expect(releaseVersion(tag)).toEqual(version);
});

test.each(["13", "v3.15", "main", "1.2.3x", "latest"])("%s names no release version", (tag) => {
  expect(releaseVersion(tag)).toBeUndefined();
});

test("versions order numerically, not as text", () => {
  const v = (t: string) => releaseVersion(t)!;
  expect(compareReleaseVersions(v("v3.9.0"), v("v3.15.1"))).toBeLessThan(0);
  expect(compareReleaseVersions(v("13.0.1"), v("9.5.20"))).toBeGreaterThan(0);
  expect(compareReleaseVersions(v("13.0.1-ubuntu"), v("13.0.1"))).toBe(0);
});

test("an image's base name ignores registry and namespace", () => {
  expect(imageBaseName("quay.io/prometheus/prometheus")).toBe("prometheus");
  expect(imageBaseName("localhost:5000/prom/prometheus")).toBe("prometheus");
  expect(imageBaseName("prometheus")).toBe("prometheus");
});
