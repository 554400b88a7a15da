// The floor under both stacks: a page of the same shape whose module computes nothing. Its
// navigation → "first result" is what any page costs on this machine (new context, HTML,
// one module), so the stacks' own start-up is their time minus this.
document.getElementById('out').textContent = 'ready';
performance.mark('first-result');
