import type { AuthChecker } from 'type-graphql';
import type { GatewayContext } from '../context';
import { forbidden, unauthenticated } from '../errors';

/** The one check behind every @Authorized: no operator is UNAUTHENTICATED, a wrong role FORBIDDEN. */
export const authChecker: AuthChecker<GatewayContext> = ({ context }, roles) => {
  const op = context.operator;
  if (!op) throw unauthenticated();
  if (roles.length > 0 && !roles.some((r) => op.roles.includes(r as never))) throw forbidden();
  return true;
};
