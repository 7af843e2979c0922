import { operations } from '../../../shared/contract/spec';

export type Tpl = Record<string, any>;
export type Resource = {
  Type: string;
  Properties?: any;
  DependsOn?: unknown;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};

export function resources(template: Tpl, type: string): [string, Resource][] {
  return Object.entries(template.Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
}

/** The logical id of the function of an operation, found by its description. */
export function functionIdOf(template: Tpl, operationId: string): string {
  const found = resources(template, 'AWS::Lambda::Function').filter(([, r]) =>
    String(r.Properties.Description).endsWith(`(${operationId})`),
  );
  if (found.length !== 1) throw new Error(`${found.length} functions for ${operationId}`);
  return found[0]?.[0] ?? '';
}

/** Every IAM statement attached to the role a function runs with. */
export function statementsOf(template: Tpl, functionId: string): { Action: string[]; Resource: unknown[] }[] {
  const fn = template.Resources[functionId] as Resource;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const out: { Action: string[]; Resource: unknown[] }[] = [];
  for (const [, policy] of resources(template, 'AWS::IAM::Policy')) {
    const roles = (policy.Properties.Roles as { Ref: string }[]).map((r) => r.Ref);
    if (!roles.includes(roleId)) continue;
    for (const s of policy.Properties.PolicyDocument.Statement) {
      expectAllow(s);
      out.push({ Action: [s.Action].flat(), Resource: [s.Resource].flat() });
    }
  }
  const role = template.Resources[roleId] as Resource;
  if (role.Properties.ManagedPolicyArns?.length) throw new Error(`${roleId} has managed policies`);
  if (role.Properties.Policies?.length) throw new Error(`${roleId} has inline policies`);
  return out;
}

function expectAllow(s: { Effect: string }): void {
  if (s.Effect !== 'Allow') throw new Error(`unexpected ${s.Effect} statement`);
}

export function actionsOf(template: Tpl, functionId: string): Set<string> {
  return new Set(statementsOf(template, functionId).flatMap((s) => s.Action));
}

export const specOperations = operations();

/** Renders `{Fn::Join}`/`{Ref}`/`{Fn::GetAtt}` as text, to compare resources. */
export function render(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
    const att = o['Fn::GetAtt'];
    if (Array.isArray(att)) return `<${att.join('.')}>`;
    const join = o['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) return join[1].map(render).join(String(join[0]));
  }
  return JSON.stringify(v);
}
