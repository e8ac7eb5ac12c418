/**
 * The store's disk buffer: a segmented, checksummed, group-committed append-only log with a durable
 * ack cursor (invariants and on-disk format: disk-buffer.ts).
 */
export { DiskBuffer, segmentFileName, type AckedSegment, type BufferFault, type BufferRecord, type BufferStats, type BufferState, type DiskBufferOptions } from './disk-buffer.ts';
export { formatInspection, inspectBuffer, isBufferDir, type BufferInspection, type SegmentInspection } from './inspect.ts';
export { nodeFileSystem, type BufferFile, type BufferFileSystem, type OpenMode } from './file-system.ts';
