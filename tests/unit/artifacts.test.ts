import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { SETTING_NAMES } from '../../src/config/config';

const yaml = (path: string) => Bun.YAML.parse(readFileSync(path, 'utf8')) as Record<string, any>;

/** Deployment artifacts name settings by string: a typo or a stale name would be silently ignored. */
describe('deployment artifacts name only settings the service reads', () => {
  test('the Kubernetes ConfigMap', () => {
    const keys = Object.keys(yaml('k8s/base/configmap.yaml').data);
    expect(keys.filter((k) => !SETTING_NAMES.includes(k))).toEqual([]);
  });

  test('the Secret template (REDIS_PASSWORD is for the Dapr component, not the service)', () => {
    const keys = Object.keys(yaml('k8s/secret.template.yaml').stringData).filter((k) => k !== 'REDIS_PASSWORD');
    expect(keys.filter((k) => !SETTING_NAMES.includes(k))).toEqual([]);
    expect(keys).toEqual(expect.arrayContaining(['JWT_SECRET', 'PSEUDONYM_KEY']));
  });

  test('the compose service', () => {
    const env = Object.keys(yaml('docker-compose.yml').services['mastery-engine'].environment);
    expect(env.filter((k) => !SETTING_NAMES.includes(k))).toEqual([]);
  });
});
