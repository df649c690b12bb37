/**
 * The fontconfig set-up LibreOffice workers run with: the system's fonts, minus colour
 * fonts. LibreOffice 7.4 (Debian 12) embeds a colour emoji font (Noto Color Emoji: bitmaps,
 * no outlines) in the PDF as if it were an outline font, so every emoji comes out invisible;
 * without colour fonts it falls back to an outline emoji font (Symbola, installed by
 * scripts/setup-system.sh) and the emoji are drawn. Desktops often have the colour font
 * installed, so deckcast hides it from its own workers rather than asking operators to
 * remove it.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The system configuration deckcast's file includes (FONTCONFIG_FILE replaces, so it must include it). */
export const SYSTEM_FONTS_CONF = process.env.DECKCAST_SYSTEM_FONTS_CONF ?? "/etc/fonts/fonts.conf";

export function fontsConf(system = SYSTEM_FONTS_CONF): string {
  return `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- Written by deckcast for its LibreOffice workers (server/decks/convert/fonts-conf.ts). -->
<fontconfig>
  <include ignore_missing="yes">${system.replace(/[<>&"]/g, "")}</include>
  <selectfont>
    <rejectfont><pattern><patelt name="color"><bool>true</bool></patelt></pattern></rejectfont>
  </selectfont>
</fontconfig>
`;
}

/** Writes the file into `dir` and returns the environment a worker is started with. */
export async function fontsEnv(dir: string): Promise<NodeJS.ProcessEnv> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "fonts.conf");
  await writeFile(file, fontsConf());
  return { ...process.env, FONTCONFIG_FILE: file };
}
