/**
 * `sandfleet:local` config section: settings of the `local` provider (test hosts on the local Docker engine).
 * Pure zod (no @pulumi) so the stack config parser can load it eagerly.
 */
import { z } from "zod";

export const localConfigSchema = z
  .object({
    /**
     * Fleet name: prefixes and labels every container, network and volume on the engine, so that a
     * `pulumi up -s local` fleet and an `npm start` fleet (`local`) can live side by side. @default "pulumi-<stack>"
     */
    fleet: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,20}$/, "must be lower-case letters, digits and '-' (max 21), e.g. pulumi-local")
      .optional(),
  })
  .strict()
  .default({});

export type LocalConfig = z.infer<typeof localConfigSchema>;
