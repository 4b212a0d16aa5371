public import LibPQ
