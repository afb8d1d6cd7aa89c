import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, configTable, loadConfig } from '../../../src/config.js';

describe('configuration', () => {
  it('when no variables are set, then the documented defaults apply', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.store).toBe('embedded');
    expect(c.dataDir).toBe('./data');
    expect(c.seedMembers).toBe(200);
    expect(c.baseUrl).toBeUndefined();
  });

  it('when values are given, then they are parsed and BASE_URL loses its trailing slash', () => {
    const c = loadConfig({ PORT: '9000', BASE_URL: 'https://fhir.example.org/fhir/', SEED_MEMBERS: '0', FSYNC: 'true' });
    expect(c.port).toBe(9000);
    expect(c.baseUrl).toBe('https://fhir.example.org/fhir');
    expect(c.seedMembers).toBe(0);
    expect(c.fsync).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ STORE: 'postgres' }, 'STORE'],
    [{ STORE: 'mongodb' }, 'MONGODB_URI'],
    [{ BASE_URL: 'not a url' }, 'BASE_URL'],
    [{ SEED_MEMBERS: '-1' }, 'SEED_MEMBERS'],
    [{ DEFAULT_COUNT: '50', MAX_COUNT: '10' }, 'MAX_COUNT'],
  ])('when %o is invalid, then startup fails naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('when the README lists the configuration, then it is exactly the table generated from the schema', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const between = readme.split('<!-- config-table:start -->')[1]?.split('<!-- config-table:end -->')[0]?.trim();
    expect(between).toBe(configTable());
  });
});
