/**
 * POS intake: the HTTP server terminals post sales to, per-sale validation and the POS idempotency
 * index (terminal_id + receipt_no + type → original event_id/seq).
 */
export { buildIntakeServer, salesOfBody, ParsedBody, type IntakeServerOptions, type StoreStatus } from './server.ts';
export { SaleIntake, RejectedSale, type SaleResult } from './sale-intake.ts';
export { parseStrictJson, type StrictJsonResult } from './strict-json.ts';
export { ReceiptIndex, receiptKey, RECEIPTS_FILE, type ReceiptEntry } from './receipt-index.ts';
