import { sha256 } from "../../../ops/dashboards-export/manifest";
import { serializeDashboard } from "../../../ops/dashboards-export/normalise";
import { planExport } from "../../../ops/dashboards-export/plan";

describe("planExport", () => {
  const content = serializeDashboard({ uid: "u1", title: "One" });
  const dashboards = [{ uid: "u1", title: "One", relPath: "team-a/u1.json", content }];

  it("treats a file absent from the manifest as a local edit", () => {
    const plan = planExport({
      dashboards,
      existing: [{ relPath: "team-a/u1.json", content: "{}\n", uid: "u1" }],
      manifest: new Map(),
      force: false,
    });
    expect(plan.writes).toEqual([]);
    expect(plan.conflicts).toEqual([
      { relPath: "team-a/u1.json", reason: expect.stringMatching(/not written by an export/) },
    ]);
  });

  it("adopts an identical file without writing it", () => {
    const plan = planExport({
      dashboards,
      existing: [{ relPath: "team-a/u1.json", content, uid: "u1" }],
      manifest: new Map(),
      force: false,
    });
    expect(plan.writes).toEqual([]);
    expect(plan.unchanged).toEqual(["team-a/u1.json"]);
    expect(plan.manifest.get("team-a/u1.json")).toBe(sha256(content));
  });
});
