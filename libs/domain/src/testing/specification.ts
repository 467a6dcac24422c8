/**
 * given(events).when(command).then(events) for deciders, after
 * oskardudycz/EventSourcing.NodeJS's specification helper.
 */
export interface Decider<C, S, E> {
  decide: (command: C, state: S) => E[];
  evolve: (state: S, event: E) => S;
  initialState: () => S;
}

export function specFor<C, S, E>(decider: Decider<C, S, E>) {
  return (given: E[]) => ({
    when: (command: C) => {
      const run = () => decider.decide(command, given.reduce(decider.evolve, decider.initialState()));
      return {
        then: (expected: E[]) => expect(run()).toEqual(expected),
        thenThrows: (code: string) => {
          let caught: unknown;
          try {
            run();
          } catch (e) {
            caught = e;
          }
          expect(caught).toMatchObject({ code });
        },
      };
    },
  });
}
