/** The retail domain shared by every service: sales, money, ids and business time. */
export * from './money.ts';
export * from './sale.ts';
export * from './event.ts';
export * from './ids.ts';
export * from './business-time.ts';
export * from './credentials.ts';
