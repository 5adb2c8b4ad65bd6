import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LABEL } from "../model/labels";
import { stackLabels } from "./container-defaults";
import { PKG } from "../model/naming";

/** One data volume to declare. */
export interface DataVolumeSpec {
  /** Docker volume name; fixed so the next `pulumi up` re-attaches the same data. */
  readonly name: string;
  /** Role label, e.g. `prometheus-data`. */
  readonly role: string;
  /** True when the user named an existing volume (e.g. a docker-compose one) to adopt as-is. */
  readonly adopted: boolean;
}

/** Arguments of {@link DataVolumes}. */
export interface DataVolumesArgs {
  /** Stack name, for labels. */
  readonly stack: string;
  /** Prometheus TSDB volume. */
  readonly prometheus: DataVolumeSpec;
  /** Grafana /var/lib/grafana volume. */
  readonly grafana: DataVolumeSpec;
  /** k6 end-of-test summaries volume. */
  readonly k6Results: DataVolumeSpec;
  /** Alertmanager's silences and notification log. */
  readonly alertmanager: DataVolumeSpec;
  /** Also `protect` the volumes: a plain `pulumi destroy` then refuses to run. */
  readonly protect: boolean;
}

/**
 * Everything whose loss loses data, and nothing else. Each volume is `retainOnDelete`, so destroy,
 * replace and rename leave it in Docker; deleting data is only ever `npm run purge-data`.
 */
export class DataVolumes extends pulumi.ComponentResource {
  /** Prometheus TSDB volume. */
  public readonly prometheus: docker.Volume;
  /** Grafana data volume. */
  public readonly grafana: docker.Volume;
  /** k6 results volume. */
  public readonly k6Results: docker.Volume;
  /** Alertmanager volume. */
  public readonly alertmanager: docker.Volume;

  constructor(name: string, args: DataVolumesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${PKG}:DataVolumes`, name, {}, opts);
    const volume = (role: string, spec: DataVolumeSpec): docker.Volume =>
      new docker.Volume(
        `${name}-${role}`,
        {
          name: spec.name,
          labels: stackLabels(args.stack, spec.role, {
            [LABEL.retain]: "true",
            [LABEL.adopted]: String(spec.adopted),
          }),
        },
        {
          parent: this,
          retainOnDelete: true,
          protect: args.protect,
          // Docker never updates labels or driver options of an existing volume, and every Volume
          // field forces a replacement: a label drift (e.g. an adopted docker-compose volume's
          // com.docker.compose.* labels) must not plan a replace of the data.
          ignoreChanges: ["labels", "driver", "driverOpts"],
        },
      );
    this.prometheus = volume("prometheus", args.prometheus);
    this.grafana = volume("grafana", args.grafana);
    this.k6Results = volume("k6-results", args.k6Results);
    this.alertmanager = volume("alertmanager", args.alertmanager);
    this.registerOutputs({
      prometheus: this.prometheus.name,
      grafana: this.grafana.name,
      k6Results: this.k6Results.name,
      alertmanager: this.alertmanager.name,
    });
  }
}
