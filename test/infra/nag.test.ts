import { synthesize, VARIANTS, type Variant } from './support/synth';

describe('cdk-nag AwsSolutions and Serverless packs', () => {
  test.each(Object.keys(VARIANTS) as Variant[])('%s: no unacknowledged finding', (variant) => {
    const { findings } = synthesize(variant);
    expect(findings).toEqual([]);
  });

  test.each(Object.keys(VARIANTS) as Variant[])(
    '%s: every acknowledgement names its rule and a real reason',
    (variant) => {
      const { acknowledgements } = synthesize(variant);
      // CDK's own constructs acknowledge some of its CloudFormation validation rules; ours are nag's.
      const nag = Object.entries(acknowledgements).filter(([id]) => /^(AwsSolutions|Serverless)-/.test(id));
      expect(nag.length).toBeGreaterThan(5);
      for (const [id, reasons] of nag) {
        expect(id).toMatch(/^(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[.+\])?$/);
        // Never a whole rule for wildcard findings: each resource string is named.
        if (id.startsWith('AwsSolutions-IAM5')) expect(id).toMatch(/\[Resource::.+\]$/);
        for (const reason of reasons) expect(reason.length).toBeGreaterThanOrEqual(40);
      }
    },
  );

  test('acknowledgements follow the configuration (APIG3 only without WAF, ALB ones only with an ALB)', () => {
    expect(Object.keys(synthesize('defaults').acknowledgements)).toContain('AwsSolutions-APIG3');
    expect(Object.keys(synthesize('api').acknowledgements)).not.toContain('AwsSolutions-APIG3');
    expect(Object.keys(synthesize('alb').acknowledgements)).toContain('AwsSolutions-EC23');
    expect(Object.keys(synthesize('api').acknowledgements)).not.toContain('AwsSolutions-EC23');
  });
});
