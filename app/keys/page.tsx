import { KeyManager } from "@/components/keys/key-manager";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { myKeyMaterial } from "@/lib/authority/keys";

export const metadata = { title: "My keys" };

export default async function KeysPage() {
  const user = await requirePageUser("any", "/keys");
  const material = await myKeyMaterial(user.id);
  return (
    <>
      <PageHeader
        title="My keys"
        description={`The attributes you hold as ${user.gid}, their key versions, your transform key, and backups of your key store.`}
      />
      <KeyManager gid={user.gid} initial={material} />
    </>
  );
}
