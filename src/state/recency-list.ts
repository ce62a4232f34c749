/** An intrusive doubly linked list ordering store entries from least to most recently used, with a sweep cursor. */

export interface ListNode<N> {
  prev: N | null;
  next: N | null;
}

/**
 * O(1) append, unlink and move-to-newest. The `cursor` marks where a bounded walk (the expiry sweep)
 * resumes; unlinking the node it points at advances it, so it never points at a removed node.
 */
export class RecencyList<N extends ListNode<N>> {
  head: N | null = null;
  tail: N | null = null;
  /** Where the next bounded walk resumes; null means "start again at the head". */
  cursor: N | null = null;

  append(node: N): void {
    node.prev = this.tail;
    node.next = null;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
  }

  unlink(node: N): void {
    if (this.cursor === node) this.cursor = node.next;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = null;
  }

  /** Marks `node` as the most recently used. */
  touch(node: N): void {
    this.unlink(node);
    this.append(node);
  }

  clear(): void {
    this.head = this.tail = this.cursor = null;
  }
}
