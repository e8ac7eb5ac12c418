/** Ports: the interfaces every external system sits behind. Workers and jobs import these, never a driver. */
export type * from './queue.ts';
export type * from './order-store.ts';
export type * from './dead-letter.ts';
export type * from './warehouse.ts';
export type * from './credentials.ts';
