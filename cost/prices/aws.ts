/**
 * AWS list prices as published by Amazon Web Services (aws.amazon.com/ec2/pricing/on-demand/), checked
 * 2025-06, from the author's knowledge of the published prices: this environment has no internet access, so
 * re-check at the source (or with the AWS Pricing Calculator) before relying on them. USD, us-east-1, Linux,
 * on-demand, hourly price x 730 h. eu-central-1 is about 15% dearer, eu-west-1 about 10%.
 * Not re-checked on 2026-12-01: the search tool found no first-party or well-sourced 2026 list for these
 * types (third-party tables disagreed by a few percent), so the 2025-06 figures stand, still to verify.
 */
import { perHour, type PriceTable } from "./price-table";

export const awsPrices: PriceTable = {
  provider: "aws",
  currency: "USD",
  checked: "2025-06",
  pricedRegion: "us-east-1",
  caveats: [
    "AWS figures are us-east-1 list prices; other regions differ (eu-central-1 about +15%).",
    "Prices exclude sales tax / VAT, data transfer out, NLB LCU charges and burstable (t3) CPU credits.",
    "Spot pools are estimated at 35% of on-demand; real spot prices move with demand.",
  ],
  servers: {
    source: "https://aws.amazon.com/ec2/pricing/on-demand/",
    monthly: {
      "t3.small": perHour(0.0208),
      "t3.medium": perHour(0.0416),
      "t3.large": perHour(0.0832),
      "t3.xlarge": perHour(0.1664),
      "t3.2xlarge": perHour(0.3328),
      "t3a.medium": perHour(0.0376),
      "t3a.large": perHour(0.0752),
      "t3a.xlarge": perHour(0.1504),
      "m6i.large": perHour(0.096),
      "m6i.xlarge": perHour(0.192),
      "m6i.2xlarge": perHour(0.384),
      "m6i.4xlarge": perHour(0.768),
      "m7i.large": perHour(0.1008),
      "m7i.xlarge": perHour(0.2016),
      "m7i.2xlarge": perHour(0.4032),
      "m6a.large": perHour(0.0864),
      "m6a.xlarge": perHour(0.1728),
      "m6a.2xlarge": perHour(0.3456),
      "c6i.large": perHour(0.085),
      "c6i.xlarge": perHour(0.17),
      "c6i.2xlarge": perHour(0.34),
      "c6i.4xlarge": perHour(0.68),
      "c7i.large": perHour(0.08925),
      "c7i.xlarge": perHour(0.1785),
      "c7i.2xlarge": perHour(0.357),
      "r6i.large": perHour(0.126),
      "r6i.xlarge": perHour(0.252),
    },
  },
  volumes: {
    source: "https://aws.amazon.com/ebs/pricing/",
    // io2 also bills provisioned IOPS, not included.
    perGbMonth: { gp3: 0.08, gp2: 0.1, io2: 0.125 },
    defaultType: "gp3",
  },
  bootDisk: { defaultGb: 20, configKey: "rootVolumeGb", volumeTypeConfigKey: "volumeType" },
  publicIpv4: { source: "https://aws.amazon.com/vpc/pricing/", monthly: perHour(0.005) },
  stableIp: { source: "https://aws.amazon.com/vpc/pricing/", monthly: perHour(0.005), replacesServerIpv4: true },
  loadBalancers: {
    source: "https://aws.amazon.com/elasticloadbalancing/pricing/",
    monthly: { network: perHour(0.0225), application: perHour(0.0225) },
    defaultType: "network",
  },
  spotFactor: 0.35,
};
