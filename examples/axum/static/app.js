// The page's entry module: it starts the counter, which hot-updates itself.
import { start } from './counter.js';

start(document.getElementById('counter'));
