/**
 * Contract suites: one vitest suite per port, run against every adapter (embedded now, Cassandra and
 * friends later) through a factory that returns a fresh adapter and its cleanup.
 */
export { describeOrderStoreContract, type OrderStoreFactory } from './order-store.contract.ts';
export { describeDeadLetterContract, type DeadLetterFactory } from './dead-letter.contract.ts';
export { describeStoreCredentialContract, credentialFixture, type StoreCredentialFactory } from './credentials.contract.ts';
export { storedSaleFixture, deadLetterFixture } from './fixtures.ts';
export type { AdapterUnderTest } from './fixtures.ts';
export { identifierArbitrary, instantArbitrary, saleLineArbitrary, validSaleArbitrary, type SaleArbitraryOptions } from './sale-arbitraries.ts';
