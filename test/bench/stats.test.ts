import { describe, expect, it } from 'vitest';
import { allPass, atMost, formatKb, formatMs, formatRatio, formatTable, median, percentile, ratio } from '../../bench/stats.ts';
import { describeTarget, formatCapacity, judgeRequests, summarizeOperations } from '../../bench/targets.ts';

describe('median and percentile', () => {
  it('takes the middle value, or the mean of the two middle ones, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('does not reorder the caller’s array', () => {
    const samples = [3, 1, 2];
    median(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('is NaN for no samples, so that a verdict on it fails', () => {
    expect(median([])).toBeNaN();
    expect(atMost(median([]), 1)).toBe('FAIL');
  });

  it('interpolates between closest ranks', () => {
    const samples = [10, 20, 30, 40, 50];
    expect(percentile(samples, 0)).toBe(10);
    expect(percentile(samples, 100)).toBe(50);
    expect(percentile(samples, 90)).toBe(46);
    expect(() => percentile(samples, 101)).toThrow(RangeError);
  });
});

describe('ratios and verdicts', () => {
  it('divides by a positive baseline only', () => {
    expect(ratio(130, 100)).toBeCloseTo(1.3);
    expect(ratio(1, 0)).toBeNaN();
  });

  it('passes at the limit and fails above it', () => {
    expect(atMost(1.3, 1.3)).toBe('PASS');
    expect(atMost(1.31, 1.3)).toBe('FAIL');
    expect(atMost(Number.NaN, 1.3)).toBe('FAIL');
  });

  it('passes a group only when every verdict passes', () => {
    expect(allPass(['PASS', 'PASS'])).toBe('PASS');
    expect(allPass(['PASS', 'FAIL'])).toBe('FAIL');
    expect(allPass([])).toBe('FAIL');
  });
});

describe('formatting', () => {
  it('writes sizes, times and ratios the same way everywhere', () => {
    expect(formatKb(350 * 1024)).toBe('350.0 KB');
    expect(formatMs(0.1234)).toBe('0.12 ms');
    expect(formatMs(Number.NaN)).toBe('n/a');
    expect(formatRatio(1.234)).toBe('1.23×');
  });

  it('pads columns to their widest cell, right-aligning where asked', () => {
    const table = formatTable(
      ['name', 'size'],
      [
        ['identity', '9 KB'],
        ['x', '120 KB', 'ignored extra cell'],
      ],
      ['left', 'right'],
    );
    expect(table.split('\n')).toEqual(['name        size', '--------  ------', 'identity    9 KB', 'x         120 KB']);
  });

  it('leaves missing cells blank', () => {
    expect(formatTable(['a', 'b'], [['1']]).split('\n')[2]).toBe('1');
  });
});

describe('request targets', () => {
  it('wants exactly one GetItem for a get', () => {
    expect(judgeRequests({ kind: 'get' }, ['GetItem'])).toBe('PASS');
    expect(judgeRequests({ kind: 'get' }, ['GetItem', 'GetItem'])).toBe('FAIL');
    expect(judgeRequests({ kind: 'get' }, ['Query'])).toBe('FAIL');
  });

  it('allows one Query per owner in scope for a list page, and nothing else', () => {
    expect(judgeRequests({ kind: 'list' }, ['Query'])).toBe('PASS');
    expect(judgeRequests({ kind: 'list' }, ['Query', 'Query'])).toBe('FAIL');
    expect(judgeRequests({ kind: 'list', owners: 3 }, ['Query', 'Query', 'Query'])).toBe('PASS');
    expect(judgeRequests({ kind: 'list' }, ['Query', 'GetItem'])).toBe('FAIL');
  });

  it('wants one transaction for a write, with reads before it but no write outside it', () => {
    expect(judgeRequests({ kind: 'write' }, ['GetItem', 'TransactWriteItems'])).toBe('PASS');
    expect(judgeRequests({ kind: 'write' }, ['TransactWriteItems', 'TransactWriteItems'])).toBe('FAIL');
    expect(judgeRequests({ kind: 'write' }, ['TransactWriteItems', 'PutItem'])).toBe('FAIL');
    expect(judgeRequests({ kind: 'write' }, ['GetItem'])).toBe('FAIL');
  });

  it('caps a dashboard and never lets a Scan pass', () => {
    expect(judgeRequests({ kind: 'dashboard', max: 3 }, ['GetItem', 'GetItem', 'Query'])).toBe('PASS');
    expect(judgeRequests({ kind: 'dashboard', max: 3 }, ['GetItem', 'GetItem', 'Query', 'Query'])).toBe('FAIL');
    expect(judgeRequests({ kind: 'dashboard', max: 3 }, ['Scan'])).toBe('FAIL');
  });

  it('describes targets and counts for the table', () => {
    expect(describeTarget({ kind: 'list', owners: 2 })).toBe('≤ 2 Query');
    expect(summarizeOperations(['GetItem', 'TransactWriteItems', 'GetItem'])).toBe('2 GetItem + 1 TransactWriteItems');
    expect(summarizeOperations([])).toBe('–');
    expect(formatCapacity(0.5)).toBe('0.5');
    expect(formatCapacity(2.333)).toBe('2.33');
    expect(formatCapacity(undefined)).toBe('–');
  });
});
