import { dashboardRelPath, folderSlug } from "../../../ops/dashboards-export/paths";

describe("paths", () => {
  it("puts a dashboard under its folder's slug, or at the top for the root folder", () => {
    expect(dashboardRelPath("abc", { uid: "f1", title: "Load Tests (EU)" })).toBe("load-tests-eu/abc.json");
    expect(dashboardRelPath("abc", { uid: "f1", title: "Überwachung" })).toBe("uberwachung/abc.json");
    expect(dashboardRelPath("abc", { uid: "f1", title: "日本" })).toBe("folder-f1/abc.json");
    expect(dashboardRelPath("abc")).toBe("abc.json");
    expect(dashboardRelPath("abc", { uid: "", title: "General" })).toBe("abc.json");
    expect(folderSlug("  --Team  A--  ")).toBe("team-a");
  });

  it("refuses a uid that cannot be a file name", () => {
    expect(() => dashboardRelPath("../../etc/passwd")).toThrow(/cannot be a file name/);
  });
});
