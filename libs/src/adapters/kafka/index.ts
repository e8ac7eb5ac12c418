export { kafkaLogCreator } from './kafka-log.ts';
