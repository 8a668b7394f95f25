interface Node<V> {
  readonly tenantId: string;
  readonly studentId: string;
  value: V;
  older: Node<V> | undefined;
  newer: Node<V> | undefined;
}

/**
 * Values kept per student, the least recently used dropped past `maxStudents` (at least one is
 * kept), across tenants. Found by tenant then student id: the lookups take the ids' own strings,
 * whose hashes the engine keeps, where a joined `${tenant}/${student}` key was a new string to
 * build and hash on every call. Kept in order of use by a list through the entries, so a hit
 * reorders two links rather than a map.
 */
export class StudentLru<V> {
  private readonly byTenant = new Map<string, Map<string, Node<V>>>();
  private size = 0;
  private oldest: Node<V> | undefined;
  private newest: Node<V> | undefined;

  constructor(private readonly maxStudents: number) {}

  /** The student's value, now the most recently used; undefined when none is kept. */
  get(tenantId: string, studentId: string): V | undefined {
    const node = this.byTenant.get(tenantId)?.get(studentId);
    if (!node) return undefined;
    this.touch(node);
    return node.value;
  }

  /** The student's value, its place in the order of use left as it is. */
  peek(tenantId: string, studentId: string): V | undefined {
    return this.byTenant.get(tenantId)?.get(studentId)?.value;
  }

  /** Keeps `value` for the student, now the most recently used. */
  set(tenantId: string, studentId: string, value: V): void {
    const kept = this.byTenant.get(tenantId)?.get(studentId);
    if (kept) {
      kept.value = value;
      this.touch(kept);
      return;
    }
    if (this.size >= this.maxStudents && this.oldest) this.drop(this.oldest);
    let students = this.byTenant.get(tenantId);
    if (!students) {
      students = new Map();
      this.byTenant.set(tenantId, students);
    }
    const node: Node<V> = { tenantId, studentId, value, older: undefined, newer: undefined };
    students.set(studentId, node);
    this.append(node);
    this.size += 1;
  }

  /** Makes the node the most recently used. */
  private touch(node: Node<V>): void {
    if (node === this.newest) return;
    this.unlink(node);
    this.append(node);
  }

  private drop(node: Node<V>): void {
    this.unlink(node);
    const students = this.byTenant.get(node.tenantId)!;
    students.delete(node.studentId);
    if (students.size === 0) this.byTenant.delete(node.tenantId);
    this.size -= 1;
  }

  private unlink(node: Node<V>): void {
    if (node.older) node.older.newer = node.newer;
    else this.oldest = node.newer;
    if (node.newer) node.newer.older = node.older;
    else this.newest = node.older;
    node.older = node.newer = undefined;
  }

  private append(node: Node<V>): void {
    node.older = this.newest;
    if (this.newest) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
  }
}
