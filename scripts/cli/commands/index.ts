/** Every CLI command, registered in help order. A new command is one file here plus one line below. */
import type { Command } from 'commander';
import { registerBuffer } from './buffer.ts';
import { registerDag } from './dag.ts';
import { registerReconcile } from './reconcile.ts';

type Register = (program: Command) => void;

const commands: Register[] = [registerDag, registerReconcile, registerBuffer];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
