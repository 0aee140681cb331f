export { valueWithin } from './lib/value-within';
