/** jest globalSetup of the cli tier: the Pulumi engine and busybox, before its first test. */
import { installTools } from "./prerequisites";

export default function setup(): void {
  installTools(["pulumi", "busybox"]);
}
