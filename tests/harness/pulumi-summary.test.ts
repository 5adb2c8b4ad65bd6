// Outputs of the real Pulumi CLI (v3.260.0 here, a random:index:RandomString program on a file
// backend): a no-op `up --yes`, and an `up --yes` that replaces a resource.
import { reportedChanges, resourceSummaryLines } from "./pulumi-summary";

const NO_OP = `Previewing update (s1):

@ previewing update.........
    pulumi:pulumi:Stack pusample-s1  
Resources:
    2 unchanged

Updating (s1):

@ updating......
    pulumi:pulumi:Stack pusample-s1  
Outputs:
    v: "O4CwCVsY"

Resources:
    2 unchanged

Duration: 4s
`;

const REPLACED = `Previewing update (s1):

@ previewing update........
 +- random:index:RandomString x replace [diff: ~length]
    pulumi:pulumi:Stack pusample-s1  
Resources:
    +-1 to replace
    1 unchanged

Updating (s1):

@ updating....
    pulumi:pulumi:Stack pusample-s1  
Outputs:
  ~ v: "O4CwCVsY" => "ZIrqDYpw9"

Resources:
    +-1 replaced
    1 unchanged

Duration: 6s

error: no changes were expected for update but changes were proposed
`;

describe("Pulumi's resource summaries", () => {
  test("a no-op up reports only unchanged resources, in the preview and the update", () => {
    expect(resourceSummaryLines(NO_OP)).toEqual(["2 unchanged", "2 unchanged"]);
    expect(reportedChanges(NO_OP)).toEqual([]);
  });

  test("a replacement is reported, planned and done", () => {
    expect(reportedChanges(REPLACED)).toEqual(["+-1 to replace", "+-1 replaced"]);
    expect(reportedChanges(`\x1b[1mResources:\x1b[0m\n    \x1b[32m+ 1 created\x1b[0m\n`)).toEqual([
      "+ 1 created",
    ]);
  });

  test("output without a summary (a command that failed early) is not a no-op", () => {
    expect(() => reportedChanges("error: could not load plugin\n")).toThrow('no "Resources:" summary');
  });
});
