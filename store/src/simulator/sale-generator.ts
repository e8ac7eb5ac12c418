/**
 * Generates one store's POS traffic: baskets of 1–8 catalog products priced at list × price_factor,
 * occasional line discounts, 8 % tax, refunds and voids that reference an earlier sale of the same
 * terminal, and (at badRate) malformed sales, each of a different kind in turn. Deterministic for a
 * given Random and clock.
 */
import { localIsoWithOffset, type SaleInput } from '@retail-sync/libs/domain';
import type { Random } from './prng.ts';

/** A sale as a terminal sends it: no store_id (the store fills in its own). Note libs' SaleInput still requires it. */
export type PosSale = Omit<SaleInput, 'store_id'> & { store_id?: string };

export interface SimulatedStore {
  store_id: string;
  /** Intake base URL, e.g. http://127.0.0.1:5001 */
  url: string;
  timezone: string;
  currency: string;
  price_factor: number;
}

export interface CatalogProduct {
  sku: string;
  list_price_minor: number;
}

export interface SimulatorCatalog {
  products: CatalogProduct[];
}

/**
 * Kinds of bad sales, sent in turn. All but `unknown_sku` fail the store's intake check (4xx naming the
 * field); `unknown_sku` is well-formed, so the store accepts it and central dead-letters it at
 * enrichment (RS_ERR_UNKNOWN_PRODUCT): the path a catalog gap takes in real life.
 */
export const MALFORMED_KINDS = ['float_money', 'totals_mismatch', 'missing_field', 'unknown_currency', 'bad_date', 'unknown_sku'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export interface GeneratedSale {
  body: PosSale;
  /** Set when the sale was made invalid on purpose. */
  malformed?: MalformedKind;
}

const TAX_RATE = 0.08;
const PAYMENT_METHODS = ['card', 'card', 'card', 'cash', 'mobile', 'voucher'] as const;

interface TerminalState {
  terminalId: string;
  nextReceipt: number;
  /** Earlier plain sales that no refund/void has referenced yet. */
  reversible: PosSale[];
}

export class SaleGenerator {
  private readonly terminals: TerminalState[];
  private malformedCount = 0;

  constructor(
    private readonly store: SimulatedStore,
    private readonly catalog: SimulatorCatalog,
    private readonly random: Random,
    terminalCount = 3,
    private readonly now: () => Date = () => new Date(),
    /** Makes receipt numbers unique across simulator runs against the same store (else a rerun's receipts look like POS retries). */
    private readonly runTag = '',
  ) {
    if (catalog.products.length === 0) throw new Error('the simulator needs at least one catalog product');
    this.terminals = Array.from({ length: terminalCount }, (_, i) => ({ terminalId: `pos-${i + 1}`, nextReceipt: 1, reversible: [] }));
  }

  next(badRate: number): GeneratedSale {
    const terminal = this.random.pick(this.terminals);
    if (this.random.chance(badRate)) return this.malformed(terminal);
    const roll = this.random.next();
    if (roll < 0.05 && terminal.reversible.length > 0) return { body: this.reversal(terminal, 'refund') };
    if (roll < 0.08 && terminal.reversible.length > 0) return { body: this.reversal(terminal, 'void') };
    const sale = this.basket(terminal);
    terminal.reversible.push(sale);
    if (terminal.reversible.length > 50) terminal.reversible.shift();
    return { body: sale };
  }

  private receiptNo(terminal: TerminalState): string {
    const number = String(terminal.nextReceipt++).padStart(7, '0');
    return this.runTag ? `${terminal.terminalId}-${this.runTag}-${number}` : `${terminal.terminalId}-${number}`;
  }

  private basket(terminal: TerminalState): PosSale {
    const lines = Array.from({ length: this.random.int(1, 8) }, () => {
      const product = this.random.pick(this.catalog.products);
      const qty = this.random.int(1, 3);
      const unitPriceMinor = Math.round(product.list_price_minor * this.store.price_factor);
      const discountMinor = this.random.chance(0.15) ? Math.floor((qty * unitPriceMinor * this.random.int(5, 20)) / 100) : 0;
      return { sku: product.sku, qty, unit_price_minor: unitPriceMinor, discount_minor: discountMinor };
    });
    const sale: PosSale = {
      terminal_id: terminal.terminalId,
      receipt_no: this.receiptNo(terminal),
      occurred_at: localIsoWithOffset(this.now(), this.store.timezone),
      type: 'sale',
      currency: this.store.currency,
      lines,
      tax_minor: 0,
      total_minor: 0,
      payment_method: this.random.pick(PAYMENT_METHODS),
      ...(this.random.chance(0.3) ? { customer_id: `cust-${this.random.int(1, 5000)}` } : {}),
    };
    return withTotals(sale);
  }

  /** A refund (some lines back) or a void (the whole receipt) of an earlier sale of this terminal. */
  private reversal(terminal: TerminalState, type: 'refund' | 'void'): PosSale {
    const original = terminal.reversible.splice(this.random.int(0, terminal.reversible.length - 1), 1)[0]!;
    const lines = type === 'void' ? original.lines : original.lines.slice(0, this.random.int(1, original.lines.length));
    const { customer_id: _customer, ...rest } = original;
    return withTotals({
      ...rest,
      receipt_no: this.receiptNo(terminal),
      occurred_at: localIsoWithOffset(this.now(), this.store.timezone),
      type,
      original_receipt_no: original.receipt_no,
      lines: lines.map((line) => ({ ...line })),
    });
  }

  private malformed(terminal: TerminalState): GeneratedSale {
    const kind = MALFORMED_KINDS[this.malformedCount++ % MALFORMED_KINDS.length]!;
    const sale = this.basket(terminal);
    switch (kind) {
      case 'float_money':
        sale.lines[0]!.unit_price_minor += 0.5;
        break;
      case 'totals_mismatch':
        sale.total_minor += 1;
        break;
      case 'missing_field':
        Reflect.deleteProperty(sale, 'payment_method');
        break;
      case 'unknown_currency':
        sale.currency = 'ZZZ';
        break;
      case 'bad_date':
        sale.occurred_at = sale.occurred_at.replace(/^(\d{4})-\d{2}-\d{2}/, '$1-02-30');
        break;
      case 'unknown_sku':
        sale.lines[0]!.sku = 'not-in-catalog';
        break;
    }
    return { body: sale, malformed: kind };
  }
}

function withTotals(sale: PosSale): PosSale {
  const netMinor = sale.lines.reduce((sum, line) => sum + line.qty * line.unit_price_minor - (line.discount_minor ?? 0), 0);
  const taxMinor = Math.round(netMinor * TAX_RATE);
  return { ...sale, tax_minor: taxMinor, total_minor: netMinor + taxMinor };
}
