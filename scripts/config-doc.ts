// Prints the README's configuration table from src/config.ts (the single source of settings).
import { configTable } from '../src/config.js';

process.stdout.write(`${configTable()}\n`);
