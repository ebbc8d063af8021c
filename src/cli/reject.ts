/** `tether reject ID`: a person's rejection sent to the running server (see approve.ts). */
import { decideCommand } from './approve.ts';
import type { Command } from './main.ts';

export const rejectCommand: Command = decideCommand('reject');
