import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pickStrings, presentStrings, readStackOutputs, stackName } from "../../../ops/lib/stack-outputs";

describe("stack outputs", () => {
  it("takes the stack from --stack, else K6OBS_STACK, else dev", () => {
    expect(stackName("prod", { K6OBS_STACK: "ci" })).toBe("prod");
    expect(stackName(undefined, { K6OBS_STACK: "ci" })).toBe("ci");
    expect(stackName(undefined, {})).toBe("dev");
  });

  it("names every missing, empty or non-string output, then the advice", () => {
    const outputs = { grafanaUrl: "u", network: "n", k6ExitCode: 0, grafanaImage: "" };
    expect(pickStrings(outputs, ["grafanaUrl", "network"], "deploy")).toEqual({
      grafanaUrl: "u",
      network: "n",
    });
    expect(() => pickStrings(outputs, ["grafanaImage", "k6TestId", "k6ExitCode"], "deploy it")).toThrow(
      "stack outputs lack grafanaImage, k6TestId, k6ExitCode; deploy it",
    );
    expect(presentStrings(outputs, ["grafanaUrl", "grafanaImage", "k6ExitCode", "k6TestId"])).toEqual({
      grafanaUrl: "u",
    });
  });

  it("runs the wrapper with the stack in K6OBS_STACK and reports its failure with the advice", () => {
    // A stand-in for ops/pulumi/pulumi.sh: prints its arguments and stack, or fails like Pulumi.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-outputs-"));
    try {
      fs.mkdirSync(path.join(root, "ops", "pulumi"), { recursive: true });
      fs.writeFileSync(
        path.join(root, "ops", "pulumi", "pulumi.sh"),
        'if [ "$K6OBS_STACK" = gone ]; then echo "error: no stack named gone" >&2; exit 255; fi\n' +
          'if [ "$K6OBS_STACK" = text ]; then echo "[]"; exit 0; fi\n' +
          'printf \'{"stack":"%s","args":"%s"}\' "$K6OBS_STACK" "$*"\n',
      );
      expect(readStackOutputs({ repoRoot: root, stack: "prod", showSecrets: true })).toEqual({
        stack: "prod",
        args: "stack output --json --show-secrets",
      });
      expect(() => readStackOutputs({ repoRoot: root, stack: "gone", advice: "name the volumes" })).toThrow(
        "Could not read the stack outputs with `K6OBS_STACK=gone bash ops/pulumi/pulumi.sh stack output --json`: " +
          "error: no stack named gone; name the volumes.",
      );
      expect(() => readStackOutputs({ repoRoot: root, stack: "text" })).toThrow(
        "did not print a JSON object",
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
