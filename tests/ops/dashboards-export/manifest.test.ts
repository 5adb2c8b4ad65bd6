import { formatManifest, parseManifest, sha256 } from "../../../ops/dashboards-export/manifest";

describe("paths", () => {
  it("round-trips the manifest in sha256sum format", () => {
    const entries = new Map([
      ["b/x.json", sha256("x")],
      ["a.json", sha256("a")],
    ]);
    const text = formatManifest(entries);
    expect(text).toBe(`${sha256("a")}  a.json\n${sha256("x")}  b/x.json\n`);
    expect(parseManifest(text)).toEqual(entries);
    expect(() => parseManifest("nonsense\n")).toThrow(/line 1/);
  });
});
