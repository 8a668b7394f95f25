// Signs an HS256 token the service accepts, for operators' checks (docs/release-checklist.md):
//   JWT_SECRET=... scripts/bun.sh scripts/mint-token.ts <role> <sub> [tenant] [lifetime seconds]
// role: student | teacher | admin | service. iss/aud from JWT_ISSUER / JWT_AUDIENCE (defaults as
// the service). Prints the token only. Never use it to issue tokens to real users.
import { SignJWT } from 'jose';

const [role, sub, tenant, lifetime = '900'] = process.argv.slice(2);
const secret = process.env.JWT_SECRET ?? '';
if (!role || !sub) {
  console.error('usage: JWT_SECRET=... mint-token.ts <role> <sub> [tenant] [lifetime seconds]');
  process.exit(2);
}
if (Buffer.byteLength(secret) < 32) {
  console.error('JWT_SECRET (at least 32 bytes) must be set');
  process.exit(2);
}
const now = Math.floor(Date.now() / 1000);
const token = await new SignJWT({ role, ...(tenant ? { tenant } : {}) })
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setSubject(sub)
  .setIssuer(process.env.JWT_ISSUER || 'mastery-engine')
  .setAudience(process.env.JWT_AUDIENCE || 'learnflow')
  .setIssuedAt(now)
  .setExpirationTime(now + Number(lifetime))
  .sign(new TextEncoder().encode(secret));
console.log(token);
