// Prints the tool versions pinned by the images, as shell assignments for install-tools.sh.
import { ALERTMANAGER_IMAGE, PROMETHEUS_IMAGE, prometheusGoModuleVersion } from "../model/images";

const prometheusTag = PROMETHEUS_IMAGE.tag.replace(/^v/, "");
console.log(`PROMETHEUS_VERSION=${prometheusTag}`);
console.log(`PROMETHEUS_MODULE_VERSION=${prometheusGoModuleVersion(PROMETHEUS_IMAGE.tag)}`);
console.log(`ALERTMANAGER_VERSION=${ALERTMANAGER_IMAGE.tag.replace(/^v/, "")}`);
