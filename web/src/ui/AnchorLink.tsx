import { forwardRef } from 'react';
import { Anchor, type AnchorProps } from '@mantine/core';
import { createLink } from '@tanstack/react-router';

const MantineAnchor = forwardRef<HTMLAnchorElement, AnchorProps & React.AnchorHTMLAttributes<HTMLAnchorElement>>(
  function MantineAnchor(props, ref) {
    return <Anchor ref={ref} {...props} />;
  },
);

/** A Mantine anchor that is a typed TanStack Router link (to + params checked). */
export const AnchorLink = createLink(MantineAnchor);
