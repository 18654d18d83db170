import { RoleRefusedPage } from './role-refused';

/** Drawn with HTTP 403 when this page calls refuseRole() (docs/security.md rule 12). */
export default function Forbidden() {
  return <RoleRefusedPage page="The audit log" allowed="supervisors and admins" />;
}
