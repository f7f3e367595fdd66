/** Raised when the renderer's input is invalid; the message names the field, the rule and the fix. */
export class CloudConfigInputError extends Error {
  constructor(
    /** Dotted path of the offending field, e.g. `docker.gvisorPlatform`. */
    readonly field: string,
    message: string,
  ) {
    super(`cloud-init config: ${field}: ${message}`);
    this.name = "CloudConfigInputError";
  }
}
