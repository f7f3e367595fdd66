/**
 * Runs the operator CLI's `sandfleet doctor --registry FILE` in-process on the local fleet's registry,
 * capturing its table, so `npm start` and the end-to-end test check the endpoints exactly as an operator would.
 */
export interface DoctorRun {
  /** The CLI's exit code (0: every endpoint ready). */
  exitCode: number;
  /** What the CLI printed, stdout and stderr interleaved in the order it wrote them (as a terminal shows it). */
  output: string;
}

export async function runDoctor(registryFile: string): Promise<DoctorRun> {
  const { main } = await import("../cli/main");
  // One buffer for both streams: the progress lines (stderr) come before the table (stdout), as they were written.
  let output = "";
  const write = (text: string) => {
    output += text;
  };
  const exitCode = await main(["doctor", "--registry", registryFile], { out: write, err: write });
  return { exitCode, output: output.trimEnd() };
}
