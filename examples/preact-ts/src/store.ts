import { computed, signal } from '@preact/signals';

export const count = signal(0);
export const doubled = computed(() => count.value * 2);
