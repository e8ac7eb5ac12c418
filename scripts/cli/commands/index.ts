/** Every CLI command, registered in help order. A new command is one file here plus one line below. */
import type { Command } from 'commander';
import { registerBuffer } from './buffer.ts';
import { registerCredentials } from './credentials.ts';
import { registerDag } from './dag.ts';
import { registerDlq } from './dlq.ts';
import { registerReconcile } from './reconcile.ts';
import { registerStorePool } from './store-pool.ts';

type Register = (program: Command) => void;

const commands: Register[] = [registerDlq, registerDag, registerReconcile, registerBuffer, registerCredentials, registerStorePool];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
