// Stands in for `tsx/cjs` in the service bundle (components/service/service-bundle.ts): the service's bin loads
// tsx to run its TypeScript sources in the checkout, but in the bundle esbuild has already compiled them, and
// tsx (with esbuild's native binary) is not shipped to the platform.
