export { FleetDns, type FleetDnsArgs } from "./fleet-dns";
