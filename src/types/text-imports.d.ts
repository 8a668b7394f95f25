// Bun imports these files as strings (`with { type: 'text' }`).
declare module '*.lua' {
  const text: string;
  export default text;
}
