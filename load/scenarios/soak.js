// k6 scenario "soak": shape and thresholds in ../lib/scenario.js, traffic in ../lib/traffic.js.
// Run through the runner (starts the service): scripts/load.sh soak
import { optionsFor } from '../lib/scenario.js';
import { summaryFor } from '../lib/summary.js';
import { seed, userAction } from '../lib/traffic.js';

export const options = optionsFor('soak');
export const setup = seed;
export default userAction;
export const handleSummary = summaryFor('soak');
