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
    const secrets = Bun.YAML.parse(readFileSync('k8s/secret.template.yaml', 'utf8')) as Record<string, any>[];
    const keys = Object.keys(secrets.find((d) => d.metadata.name === 'mastery-engine-secrets')!.stringData).filter((k) => k !== 'REDIS_PASSWORD');
    expect(keys.filter((k) => !SETTING_NAMES.includes(k))).toEqual([]);
    expect(keys).toEqual(expect.arrayContaining(['JWT_SECRET', 'PSEUDONYM_KEY']));
  });

  test("Dapr's app token: the sidecar and the service read one Secret key, the service as APP_API_TOKEN", () => {
    const secrets = Bun.YAML.parse(readFileSync('k8s/secret.template.yaml', 'utf8')) as Record<string, any>[];
    const tokenSecret = secrets.find((d) => d.metadata.name === 'mastery-engine-app-api-token')!;
    // Dapr's injector reads the key `token` of the Secret the annotation names.
    expect(Object.keys(tokenSecret.stringData)).toEqual(['token']);
    const pod = yaml('k8s/base/deployment.yaml').spec.template;
    expect(pod.metadata.annotations['dapr.io/app-token-secret']).toBe(tokenSecret.metadata.name);
    const env = pod.spec.containers[0].env.find((e: any) => e.name === 'APP_API_TOKEN');
    expect(env.valueFrom.secretKeyRef).toEqual({ name: tokenSecret.metadata.name, key: 'token' });
    expect(SETTING_NAMES).toContain('APP_API_TOKEN');
  });

  test('the compose service', () => {
    const env = Object.keys(yaml('docker-compose.yml').services['mastery-engine'].environment);
    expect(env.filter((k) => !SETTING_NAMES.includes(k))).toEqual([]);
  });
});

describe('STATE_BACKEND=dapr in the deployments', () => {
  test('Kubernetes: the dapr-state overlay switches the backend, and DAPR_STATE_STORE names the state component', () => {
    const overlay = yaml('k8s/overlays/dapr-state/kustomization.yaml');
    expect(overlay.resources).toEqual(['../prod']);
    expect(overlay.patches[0].patch).toContain('value: dapr');
    expect(yaml('k8s/base/configmap.yaml').data.DAPR_STATE_STORE).toBe(yaml('k8s/base/dapr/statestore.yaml').metadata.name);
  });

  test('compose: STATE_BACKEND=dapr reaches the sidecar’s HTTP port and the mounted state component', () => {
    const compose = yaml('docker-compose.yml').services;
    const env = compose['mastery-engine'].environment;
    expect(env.STATE_BACKEND).toBe('${STATE_BACKEND:-redis}');
    expect(env.DAPR_STATE_STORE).toBe(yaml('dapr/components/statestore.yaml').metadata.name);
    const cmd: string[] = compose['mastery-engine-dapr'].command;
    expect(env.DAPR_HTTP_PORT).toBe(cmd[cmd.indexOf('--dapr-http-port') + 1]);
  });
});

describe('the network policy', () => {
  const policies = Bun.YAML.parse(readFileSync('k8s/base/networkpolicy.yaml', 'utf8')) as Record<string, any>[];
  const selecting = (name: string) => policies.find((p) => p.spec.podSelector.matchLabels['app.kubernetes.io/name'] === name)!;
  const sources = (policy: Record<string, any>) => policy.spec.ingress.flatMap((rule: any) => rule.from.map((f: any) => f.podSelector?.matchLabels ?? f.namespaceSelector?.matchLabels));

  test('is deployed with the base', () => {
    expect(yaml('k8s/base/kustomization.yaml').resources).toContain('networkpolicy.yaml');
  });

  test('the ingress controller reaches the service on its HTTP port, LearnFlow sidecars its sidecar for invocation (the sidecar talks to the app over localhost)', () => {
    const service = selecting('mastery-engine');
    expect(service.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(sources(service)).toEqual([{ 'kubernetes.io/metadata.name': 'ingress-nginx' }, { 'app.kubernetes.io/part-of': 'learnflow' }]);
    // 50002: daprd's internal gRPC port, where other sidecars deliver invocations.
    expect(service.spec.ingress.map((r: any) => r.ports.map((p: any) => p.port))).toEqual([[8005], [50002]]);
  });

  test('only the service reaches Redis, and only the service and the brokers themselves reach Kafka', () => {
    expect(sources(selecting('redis'))).toEqual([{ 'app.kubernetes.io/name': 'mastery-engine' }]);
    expect(sources(selecting('kafka'))).toEqual([{ 'app.kubernetes.io/name': 'mastery-engine' }, { 'app.kubernetes.io/name': 'kafka' }]);
  });
});
