import { isV2Version, orgNamespace } from "../../../ops/dashboards-export/dashboard-api";

describe("dashboard API versions and namespaces", () => {
  it("tells the v2 schema from the classic versions", () => {
    expect(["v2alpha1", "v2beta1", "v2", "v3alpha1", "v10"].every(isV2Version)).toBe(true);
    expect(["v0alpha1", "v1beta1", "v1", "", "latest"].some(isV2Version)).toBe(false);
  });

  it("maps organizations to namespaces as on-prem Grafana does", () => {
    expect(orgNamespace(1)).toBe("default");
    expect(orgNamespace(12)).toBe("org-12");
  });
});
