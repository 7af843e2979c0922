import { endpoint } from '../../shared/http/endpoint';

export const handler = endpoint({ operation: 'getHealthz', plane: 'public' }, async () => ({ status: 'ok' }));
