/** Every CLI command, registered in help order. A new command is one file here plus one line below. */
import type { Command } from 'commander';
import { registerBuffer } from './buffer.ts';

type Register = (program: Command) => void;

const commands: Register[] = [registerBuffer];


export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
