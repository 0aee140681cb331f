export { waitForPort } from './ports';
