/**
 * Runs the operator CLI's `sandfleet doctor --registry FILE` in-process on the local fleet's registry,
 * capturing its table, so `npm start` and the end-to-end test check the endpoints exactly as an operator would.
 */
export interface DoctorRun {
  /** The CLI's exit code (0: every endpoint ready). */
  exitCode: number;
  /** What the CLI printed (stdout then stderr). */
  output: string;
}

export async function runDoctor(registryFile: string): Promise<DoctorRun> {
  const { main } = await import("../cli/main");
  let out = "";
  let err = "";
  const exitCode = await main(["doctor", "--registry", registryFile], {
    out: (text: string) => {
      out += text;
    },
    err: (text: string) => {
      err += text;
    },
  });
  return { exitCode, output: `${out}${err}`.trimEnd() };
}
